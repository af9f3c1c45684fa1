/** Constants of Whisper v6 messages (go-ethereum v1.8.27 whisper/whisperv6/doc.go). */

/** TTL a message gets when none (0) is given, in seconds. */
export const DEFAULT_TTL = 50;
/** Bytes of the flags field. */
export const FLAGS_LENGTH = 1;
/** Low bits of the flags: length of the payload-size field. */
export const SIZE_MASK = 3;
/** Flag bit: the message ends with a signature. */
export const SIGNATURE_FLAG = 4;
/** r ‖ s ‖ v. */
export const SIGNATURE_LENGTH = 65;
/** Symmetric keys a sender may use. */
export const AES_KEY_LENGTH = 32;
/** The GCM nonce ("salt") appended to symmetric messages. */
export const AES_NONCE_LENGTH = 12;
/** Default padding aligns messages to this many bytes. */
export const PAD_SIZE_LIMIT = 256;
/** Random bytes in a key id. */
export const KEY_ID_SIZE = 32;
/** PBKDF2 iterations for password keys: 65356, as geth has it (not 65536). */
export const PASSWORD_KEY_ITERATIONS = 65356;
