"""The browser app (Solara): `sim ui`, or `solara run viz.app`."""
