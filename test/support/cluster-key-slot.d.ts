/** cluster-key-slot (ioredis's dependency) ships no types: the one function the tests use. */
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (CRC16 of the key or of its hash tag, mod 16384). */
  export default function calculateSlot(key: string | Buffer): number;
}
