from rvi_shared.auth.dependencies import Authenticator, ensure_enterprise_access, require_roles
from rvi_shared.auth.principal import Principal, Role
from rvi_shared.auth.tokens import mint_token

__all__ = ["Principal", "Role", "Authenticator", "require_roles", "ensure_enterprise_access", "mint_token"]
