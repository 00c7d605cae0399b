"""The JSON API: one NinjaAPI (OpenAPI at /api/openapi.json), a router per app."""

from ninja import NinjaAPI

from config.health import router as health_router
from courses.api import router as courses_router
from courses.playback_api import router as playback_router
from courses.progress_api import router as progress_router
from courses.studio_api import router as studio_router
from media_pipeline.api import router as media_router

api = NinjaAPI(title="Course platform API", version="1", urls_namespace="api")
api.add_router("", health_router)
api.add_router("", courses_router)
api.add_router("", studio_router)
api.add_router("", playback_router)
api.add_router("", progress_router)
api.add_router("", media_router)
