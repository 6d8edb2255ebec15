{{/* Names, labels and images shared by every template. */}}

{{- define "modelyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "modelyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "modelyard.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "modelyard.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "modelyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modelyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "modelyard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "modelyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modelyard
{{- end }}

{{- define "modelyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "modelyard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* registry/repository:tag or @digest; the tag defaults to the chart's appVersion. */}}
{{- define "modelyard.image" -}}
{{- $ref := printf "%s/%s" .image.registry .image.repository | trimPrefix "/" }}
{{- if .image.digest }}
{{- printf "%s@%s" $ref .image.digest }}
{{- else }}
{{- printf "%s:%s" $ref (default .chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{- define "modelyard.clusterWide" -}}
{{- if empty .Values.watch.namespaces }}true{{ end }}
{{- end }}

{{/*
The rules the operator needs in every namespace it watches. No wildcards; each verb is used:
- its own kinds: kopf watches them and patches finalizers/annotations; status through the subresource;
  a TrainingJob registers (creates) its ModelVersion and is deleted after ttlSecondsAfterFinished.
- the children it builds (server-side apply = patch; create; delete on clean-up), read-only pods/replicasets.
- events it posts (kopf and the operator).
- kopf peering objects, when HA is on in a namespaced install.
*/}}
{{- define "modelyard.namespacedRules" -}}
- apiGroups: [modelyard.io]
  resources: [trainingjobs, modelversions, inferenceservices]
  verbs: [get, list, watch, patch, update]
- apiGroups: [modelyard.io]
  resources: [trainingjobs/status, modelversions/status, inferenceservices/status]
  verbs: [get, patch, update]
- apiGroups: [modelyard.io]
  resources: [modelversions]
  verbs: [create]
- apiGroups: [modelyard.io]
  resources: [trainingjobs]
  verbs: [delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [apps]
  resources: [replicasets]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [services, configmaps]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [secrets, persistentvolumeclaims, serviceaccounts]
  verbs: [get]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [gateway.networking.k8s.io]
  resources: [httproutes]
  verbs: [get, list, watch, create, patch, delete]
{{- end }}

{{/* Pod Security Standard "restricted" container context with a read-only root filesystem. */}}
{{- define "modelyard.restrictedContainer" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
readOnlyRootFilesystem: true
runAsNonRoot: true
seccompProfile:
  type: RuntimeDefault
{{- end }}
