api: {{ keyrack://acme.test.API }}
key: {{keyrack://acme.test.my-key}}
other: {{ .Values.x }}
