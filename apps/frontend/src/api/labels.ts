// Review labels: the generated schemas, re-exported where the client and the review screen meet.
export { LabelSchema, LabelCreateSchema, type Label, type LabelCreate, type LabelCreateInput, type LabelInput, type LabelVerdict } from '../generated/domain';
