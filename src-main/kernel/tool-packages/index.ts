export { ToolPackages, type ToolPackagesOptions } from './tool-packages.js';
export { PACKAGE_LIMITS } from './package-limits.js';
export { readTar, gunzipPackage } from './tar-reader.js';
export { readZip, crc32 } from './zip-reader.js';
export { readArchive, readPackagePath, type PackageFiles } from './package-source.js';
export { packageDigest, signPackage, rawPublicKey, keyIdOf, sha256Hex, type PluginSignature } from './package-signature.js';
export { registerToolPackagesApi } from './tool-packages-api.js';
