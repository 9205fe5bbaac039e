"""The complaints page: queues, intake, the complaint detail, inquiries, suggestions and their settings."""
