from . import retail_gateway_rotate_secret
