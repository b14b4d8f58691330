ok
{{ keyrack://acme.test.API
{{ keyrack://acme.API }}
{{ op://vault/item/field }}
