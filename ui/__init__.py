"""Where Streamlit meets crm/: cached engine, sign-in, translations, shared widgets."""
