// The CRI streaming server (Exec/Attach/PortForward URLs), its conmon/runc backend and a client.
export { ResizeEvents, type RemoteCommandIO, type StreamingBackend } from './backend.js';
export type { TerminalSize } from './channels.js';
export { dialPortForward, listenPortForward, runRemoteCommand, streamAttach, streamExec, type PortForwardListener } from './client.js';
export { StreamingClientError, terminalResizeSource, type RemoteCommandClientOptions, type ResizeSource } from './client-common.js';
export { OciStreamingBackend, type OciContainerTarget, type SandboxTarget } from './oci-backend.js';
export { startStreamingServer, type StreamingServer, type StreamingServerOptions } from './server.js';
export { runSpdyRemoteCommand, SpdyPortForwardSession } from './spdy-client.js';
