from . import retail_gateway_rotate_secret
from . import retail_gateway_service_user
