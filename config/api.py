"""The public JSON API, /api/v1/: Linli's Ninja API (core.api) with each app's router."""

from core.api import LinliAPI, signed_in

api = LinliAPI(
    title="Linli API",
    version="1",
    description="Community deliberation and volunteer teams.",
    urls_namespace="api",
    auth=signed_in,
)

api.add_router("/", "communities.api.router")
api.add_router("/", "teams.api.router")
api.add_router("/", "activities.api.router")
api.add_router("/", "certificates.api.router")
api.add_router("/", "deliberation.api.router")
api.add_router("/", "live.api.router")
