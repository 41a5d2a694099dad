/**
 * The protobuf half of onnx-graph: ModelProto bytes to messages with @bufbuild/protobuf and the code
 * generated from onnx.proto. A module of its own because onnx-graph imports it dynamically (so that
 * `import 'webrnn'` never loads it), and a dynamic import keeps every export of its target: importing
 * '@bufbuild/protobuf' itself that way would bundle the whole runtime instead of its binary reader.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from './proto.gen.js';

/** Decodes a serialized ModelProto; throws the runtime's Error on malformed bytes. Unknown fields are skipped. */
export function decodeModelProto(bytes: Uint8Array): ModelProto {
  return fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
}
