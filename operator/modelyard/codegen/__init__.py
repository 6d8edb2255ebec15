"""Generated files from the API models: CRDs, the chart's CRD templates, docs/api.md."""
