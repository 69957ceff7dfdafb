"""The `hlm` command line: the composition root of the processes."""
