"""The OpenAPI schema's own parts: the key as an HTTP bearer scheme, operation ids from the view names."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class ApiSchema(AutoSchema):
    def get_operation_id(self) -> str:
        # @api_view names its view class after the function: order_list_get, order_list_post ...
        return f"{type(self.view).__name__}_{self.method.lower()}"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sdk_<prefix>_<secret>",
            "description": "An API key made by the center's owner (Administration > API keys).",
        }
