// A TypeDoc plugin: every reflection that docs/PYTORCH.md pairs with a PyTorch name gets a "See"
// link to PyTorch 1.13's page for it. The pairs come from docs/api/pytorch.json, which
// scripts/pytorch-docs.ts writes from the same doc comments (`npm run docs` runs it first).
// Plain JavaScript so that the repository type-checks without TypeDoc installed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Comment, CommentTag, Converter } from "typedoc";

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const links = JSON.parse(readFileSync(join(app.options.getValue("out"), "pytorch.json"), "utf8"));
    let linked = 0;
    for (const reflection of Object.values(context.project.reflections)) {
      const link = links[reflection.getFullName()];
      if (link === undefined || reflection.parent?.kindOf?.(1 << 12 /* ReflectionKind.TypeLiteral */)) continue;
      const target = reflection.signatures?.[0] ?? reflection;
      target.comment ??= new Comment();
      target.comment.blockTags.push(new CommentTag("@see", [{ kind: "text", text: `PyTorch: [\`${link.name}\`](${link.url})` }]));
      linked++;
    }
    app.logger.info(`typedoc-pytorch: ${linked} links to PyTorch's documentation`);
  });
}
