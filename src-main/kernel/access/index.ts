export { ClientAccess, ADMIN_IDENTITY, tokenIdentity, type ClientIdentity } from './client-access.js';
export { ClientTokenStore, CLIENT_TOKEN_PREFIX } from './client-tokens.js';
export { registerAccessApi } from './access-api.js';
