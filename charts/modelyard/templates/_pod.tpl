{{/* The operator pod, shared by the Deployment (one replica) and the StatefulSet (HA). */}}
{{- define "modelyard.podTemplate" -}}
metadata:
  labels:
    {{- include "modelyard.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    kubectl.kubernetes.io/default-container: operator
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "modelyard.serviceAccountName" . }}
  automountServiceAccountToken: true
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: operator
      image: {{ include "modelyard.image" (dict "image" .Values.image "chart" .Chart) | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command: [modelyard]
      args:
        - run
        - --liveness-port={{ .Values.probes.port }}
      env:
        - name: MODELYARD_NAMESPACES
          value: {{ join "," .Values.watch.namespaces | quote }}
        - name: MODELYARD_METRICS_PORT
          value: {{ ternary .Values.metrics.port 0 .Values.metrics.enabled | quote }}
        - name: MODELYARD_LOG_FORMAT
          value: {{ .Values.logging.format | quote }}
        - name: MODELYARD_LOG_LEVEL
          value: {{ .Values.logging.level | quote }}
        - name: MODELYARD_SERVING_IMAGE
          value: {{ include "modelyard.image" (dict "image" .Values.runtimes.server.image "chart" .Chart) | quote }}
        - name: MODELYARD_PEERING
          value: {{ .Values.ha.enabled | quote }}
        - name: MODELYARD_PEERING_NAME
          value: {{ .Values.ha.peeringName | quote }}
        {{- if .Values.ha.enabled }}
        # A distinct priority per replica: the StatefulSet ordinal (pod-index label, Kubernetes >= 1.28).
        - name: MODELYARD_PRIORITY
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
        - name: MODELYARD_PEERING_LIFETIME
          value: {{ .Values.ha.peeringLifetimeSeconds | quote }}
        {{- end }}
        - name: MODELYARD_MAX_WORKERS
          value: {{ .Values.reconcile.maxWorkers | quote }}
        - name: MODELYARD_WORKER_IDLE_SECONDS
          value: {{ divf .Values.reconcile.workerIdleMilliseconds 1000 | quote }}
        - name: MODELYARD_RESYNC_SECONDS
          value: {{ .Values.reconcile.resyncSeconds | quote }}
        {{- with .Values.probes.watchStuckSeconds }}
        - name: MODELYARD_WATCH_STUCK_SECONDS
          value: {{ . | quote }}
        {{- end }}
        - name: HOME
          value: /tmp
        - name: PYTHONDONTWRITEBYTECODE
          value: "1"
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: healthz
          containerPort: {{ .Values.probes.port }}
          protocol: TCP
        {{- if .Values.metrics.enabled }}
        - name: metrics
          containerPort: {{ .Values.metrics.port }}
          protocol: TCP
        {{- end }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: healthz
        initialDelaySeconds: 10
        periodSeconds: 20
        timeoutSeconds: 5
        failureThreshold: 3
      startupProbe:
        httpGet:
          path: /healthz
          port: healthz
        periodSeconds: 5
        failureThreshold: 24
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
