"""Accounts: people of agencies and of the QA team (Cognito user pool + the product's own
user records), sign-in and passwords, and agencies' API keys."""
