/** Writes the HTML report to a file (Node only), atomically so a reader never sees half a page. */
import { writeFileAtomic } from "../io/atomic-node.ts";
import { reportHtml, type ReportOptions } from "./report.ts";

/**
 * Writes `reportHtml(options)` to `path`, replacing any previous file atomically; returns the path.
 * @example writeReport("report.html", { model: net, recorder: rec })
 */
export function writeReport(path: string, options: ReportOptions): string {
  writeFileAtomic(path, new TextEncoder().encode(reportHtml(options)));
  return path;
}
