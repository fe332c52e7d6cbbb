"""What runs the flows from outside Prefect's UI: the `backoffice` command line and `make ui`'s
set-up of a local Prefect server, work pool and worker."""
