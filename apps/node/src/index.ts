/**
 * The Hush reference node as a library: start a node from a configuration, as `hush start`
 * does.
 *
 * @packageDocumentation
 */
export {
  ConfigError,
  DEFAULT_CONFIG,
  dataDirPath,
  type NodeConfig,
  printableConfig,
  resolveConfig,
} from './config.js';
export {
  ContactError,
  type ContactErrorCode,
  type ContactJson,
  contactJson,
  NodeContacts,
  parseContactKey,
  parseContactRef,
} from './contacts.js';
export {
  DEFAULT_DHT_PORT,
  holderLimitsFor,
  NodeDht,
  NodeInboxError,
} from './dht.js';
export { type HushNode, loadNodeKey, openArchiveStore, openStore, startNode } from './node.js';
export { type KnownPeer, PeerBook, type PeerBookLimits } from './peers.js';
export { type HushServices, hushMethods } from './rpc/hush.js';
export { JsonRpcDispatcher, RpcError } from './rpc/jsonrpc.js';
export { shhMethods, toRpcMessage } from './rpc/shh.js';
export { PersistentKeyStore } from './store/key-store.js';
export {
  isPostgresUrl,
  PostgresStore,
  type PostgresStoreOptions,
  redactUrl,
} from './store/postgres-store.js';
export {
  LevelStore,
  MemoryStore,
  type RangeOptions,
  type Store,
  StoreError,
  type StoreErrorCode,
  type StoreOperation,
} from './store/store.js';
export {
  DEFAULT_WEB_ROOT,
  startWebServer,
  WEB_BUILD_COMMAND,
  WEB_CONNECT_PATH,
  WEB_CONTENT_SECURITY_POLICY,
  type WebConnectInfo,
  type WebServer,
  WebServerError,
  type WebServerErrorCode,
  type WebServerOptions,
  webConnectInfo,
} from './web.js';
