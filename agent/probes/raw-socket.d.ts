// Types for the raw-socket addon (net-ping's own), which ships none. Only what vipwatch uses.
declare module 'raw-socket' {
  import { EventEmitter } from 'node:events';
  export interface SocketOptions { protocol?: number; addressFamily?: number; bufferSize?: number }
  export class Socket extends EventEmitter {
    /** the addon's native socket: send() calls sendto() at once and then the callback (throws on error) */
    readonly wrap: EventEmitter & {
      send(buffer: Buffer, offset: number, length: number, address: string, callback: (bytes: number) => void): void;
      /** one recvfrom() into buffer, then the callback at once; throws on error (EAGAIN when nothing is queued) */
      recv(buffer: Buffer, callback: (buffer: Buffer, bytes: number, source: string) => void): void;
    };
    send(buffer: Buffer, offset: number, length: number, address: string,
      beforeCallback: () => void, afterCallback: (error: Error | null, bytes: number) => void): this;
    setOption(level: number, option: number, value: number): void;
    setOption(level: number, option: number, value: Buffer, length: number): void;
    close(): this;
    on(event: 'message', listener: (buffer: Buffer, source: string) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'close', listener: () => void): this;
  }
  export function createSocket(options?: SocketOptions): Socket;
  export const Protocol: { ICMP: number; None: number; TCP: number; UDP: number; ICMPv6: number };
  export const AddressFamily: { IPv4: number; IPv6: number };
  export const SocketLevel: { IPPROTO_IP: number; SOL_SOCKET: number };
  export const SocketOption: { IP_HDRINCL: number; SO_RCVBUF: number; SO_SNDBUF: number; IP_TTL: number };
}
