{{/*
The argocd-cm patch: a health check per kind (files/health/<kind>.lua) and an ignoreResourceUpdates
entry per kind for kopf's bookkeeping (its kopf.zalando.org/* annotations and status.kopf), which
change on every handler run and would otherwise make Argo CD refresh the Application each time.
examples/gitops/argocd/argocd-cm-patch.yaml is this, rendered (a test keeps them equal).
*/}}
{{- define "modelyard.argocdPatch" -}}
data:
{{- range $kind := list "TrainingJob" "ModelVersion" "InferenceService" }}
  resource.customizations.health.modelyard.io_{{ $kind }}: |
    {{- $.Files.Get (printf "files/health/%s.lua" (lower $kind)) | trimSuffix "\n" | nindent 4 }}
{{- end }}
{{- range $kind := list "TrainingJob" "ModelVersion" "InferenceService" }}
  resource.customizations.ignoreResourceUpdates.modelyard.io_{{ $kind }}: |
    jsonPointers:
      - /status/kopf
    jqPathExpressions:
      - '.metadata.annotations[(.metadata.annotations // {} | keys[] | select(startswith("kopf.zalando.org/")))]'
{{- end }}
{{- end }}
