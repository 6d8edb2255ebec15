"""Pure builders of child manifests: Job, Deployment, Service, HTTPRoute; labels and owner references."""
