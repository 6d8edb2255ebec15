"""The only code that does I/O: the Kubernetes API, metric providers, traffic routers."""
