"""What a run produced: Results over an xarray Dataset, result folders on disk, plots."""
