"""The app's plug-in point for L2 (`serving.app.OPTIONAL_ROUTERS`): the route lives in `serving.api.routes.l2`."""

from serving.api.routes.l2 import router

__all__ = ["router"]
