"""The app's plug-in point for L3 (`serving.app.OPTIONAL_ROUTERS`): the routes live in `serving.api.routes.escalations`."""

from serving.api.routes.escalations import router

__all__ = ["router"]
