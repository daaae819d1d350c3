"""The local stack: moto in-process standing in for DynamoDB, SES and EventBridge.
Used by ``make run`` and by the tests; never packaged for Lambda."""
