/**
 * A small STUN server (RFC 5389 §7, Binding only): answers every Binding request with the
 * source it came from as XOR-MAPPED-ADDRESS (and MAPPED-ADDRESS for RFC 3489 clients). The
 * matrix's "internet" runs it; what ICE needs of STUN is no more.
 */
import { createSocket, type Socket } from 'node:dgram';

const MAGIC = 0x2112a442;

/** The Binding success response to `request` from `address:port`, or undefined. */
export function bindingResponse(
  request: Buffer,
  address: string,
  port: number,
): Buffer | undefined {
  if (request.length < 20 || request.readUInt16BE(0) !== 0x0001) return undefined;
  if (request.readUInt32BE(4) !== MAGIC) return undefined;
  const parts = address.split('.').map(Number);
  if (parts.length !== 4) return undefined;
  const ip = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const out = Buffer.alloc(20 + 12 + 12);
  out.writeUInt16BE(0x0101, 0);
  out.writeUInt16BE(24, 2);
  request.copy(out, 4, 4, 20);
  // XOR-MAPPED-ADDRESS
  out.writeUInt16BE(0x0020, 20);
  out.writeUInt16BE(8, 22);
  out.writeUInt8(0, 24);
  out.writeUInt8(1, 25);
  out.writeUInt16BE(port ^ (MAGIC >>> 16), 26);
  out.writeUInt32BE((ip ^ MAGIC) >>> 0, 28);
  // MAPPED-ADDRESS
  out.writeUInt16BE(0x0001, 32);
  out.writeUInt16BE(8, 34);
  out.writeUInt8(0, 36);
  out.writeUInt8(1, 37);
  out.writeUInt16BE(port, 38);
  out.writeUInt32BE(ip, 40);
  return out;
}

/** Starts a STUN server on `host:port` (UDP). */
export function startStun(host: string, port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    const response = bindingResponse(message, remote.address, remote.port);
    if (response) socket.send(response, remote.port, remote.address);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => resolve(socket));
  });
}
