"""Satisfaction (DOMAIN.md section 5): survey templates, responses, campaigns, alerts and their figures."""
