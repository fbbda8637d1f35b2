/**
 * A Node module-resolution hook, registered by the CLI before it imports an author's
 * backend module: `@gluon-loss/spec` (and its subpaths) always resolves to the copy this
 * runner uses, from wherever the module lives. So an author's module in a folder of its
 * own (run through `npx -p @gluon-loss/conformance`, with no node_modules beside it) finds
 * the spec, and its errors are the runner's classes (`instanceof UnsupportedError`).
 */
interface ResolveContext {
  readonly parentURL?: string;
  readonly conditions: readonly string[];
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<unknown>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<unknown> {
  if (specifier === '@gluon-loss/spec' || specifier.startsWith('@gluon-loss/spec/'))
    return next(specifier, { ...context, parentURL: import.meta.url });
  return next(specifier, context);
}
