"""The engine's arithmetic: a scenario compiled to arrays, the state, random numbers, the
monthly stages and the registry of recorded series. numpy only: no Mesa, no files."""
