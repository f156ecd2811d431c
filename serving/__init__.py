"""Central Command: the FastAPI app (`serving.app.create_app`), its service layer, and the plug-ins."""
