/**
 * The page's checkpoint inspector: a dropped or chosen file (.pt, .bin, .safetensors, or a sharded
 * checkpoint's *.index.json with its shards) is read in the page, never uploaded. The tensor table
 * appears at once from the headers (`readCheckpointFilesAsync`, a few small `Blob.slice` reads);
 * then every tensor is streamed in 1 Mi-element slices through the library's report code
 * (`diagnostics.checkpointReportHtmlAsync`: statistics, histogram, heat map), filling the table's
 * statistics and adding the pictures as they come, with progress. What it shows goes on
 * `window.__inspector` for test/browser.test.ts.
 */
import * as torch from "torchlet";

/** What the inspector shows, for the browser test. */
export interface InspectorResult {
  /** how many times files were given (a new run stops the one before) */
  runs: number;
  files: string[];
  /** time from the files to the table, and the bytes read for it */
  headerMs: number | null;
  headerBytes: number | null;
  /** bytes read from the files so far */
  bytesRead: number;
  /** the table from headers, then with statistics, as `torchlet inspect [--stats]` prints it */
  tableText: string;
  statsText: string;
  report: torch.InspectReport | null;
  /** the HTML report, as `torchlet report` writes it */
  reportHtml: string;
  sections: number;
  done: boolean;
  stopped: boolean;
  error: string | null;
}

declare global {
  interface Window { __inspector: InspectorResult }
}

const $ = (id: string) => document.getElementById(id)!;

/** "1.50 GiB", "12.0 KiB" */
function size(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let u = 0, v = bytes;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** A File as a byte source that counts what it reads. */
function countedSource(file: File, count: (n: number) => void): torch.AsyncByteSource {
  const blob = torch.blobSource(file);
  return { async: true, name: blob.name, size: blob.size, read: (offset, length) => { count(length); return blob.read(offset, length); } };
}

let current: AbortController | null = null;

/** Inspects `files`: the table from headers at once, then statistics and pictures, streamed. */
async function inspect(files: File[]): Promise<void> {
  current?.abort();
  const run = (current = new AbortController());
  const result: InspectorResult = {
    runs: (window.__inspector?.runs ?? 0) + 1, files: files.map((f) => f.name), headerMs: null, headerBytes: null, bytesRead: 0,
    tableText: "", statsText: "", report: null, reportHtml: "", sections: 0, done: false, stopped: false, error: null,
  };
  window.__inspector = result;
  const status = $("ckpt-status"), table = $("ckpt-table"), pictures = $("ckpt-pictures"), bar = $("ckpt-progress") as HTMLProgressElement;
  table.textContent = "";
  pictures.textContent = "";
  $("ckpt-download").textContent = "";
  ($("ckpt-stop") as HTMLButtonElement).disabled = false;
  status.className = "";
  const total = files.reduce((s, f) => s + f.size, 0);
  status.textContent = `reading the headers of ${files.map((f) => f.name).join(", ")} (${size(total)})…`;
  try {
    const start = performance.now();
    const ckpt = await torch.readCheckpointFilesAsync(files.map((f) => countedSource(f, (n) => (result.bytesRead += n))));
    const name = files.length === 1 ? files[0]!.name : files.find((f) => f.name.endsWith(".index.json"))!.name;
    const report = torch.inspectCheckpoint(name, ckpt);
    result.report = report;
    result.tableText = table.textContent = torch.formatReport(report);
    result.headerMs = performance.now() - start;
    result.headerBytes = result.bytesRead;
    const header = `${report.totals.tensors} tensors, ${report.totals.params} parameters: the table took ${result.headerMs.toFixed(0)} ms`
      + ` and ${size(result.headerBytes)} of the ${size(total)}`;
    status.textContent = `${header}; statistics…`;

    // every name of a drawn tensor (tied names are drawn once) gets its statistics in the table
    const rows = new Map(report.tensors.map((r) => [r.name, r]));
    let shown = 0;
    const drawStart = performance.now();
    result.reportHtml = await torch.diagnostics.checkpointReportHtmlAsync(ckpt, name, {
      signal: run.signal,
      onTensor: (d) => {
        for (const n of d.names) Object.assign(rows.get(n)!, d.stats);
        pictures.insertAdjacentHTML("beforeend", torch.diagnostics.tensorSectionHtml(d));
        result.sections++;
      },
      progress: (done, all) => {
        bar.max = Math.max(all, 1);
        bar.value = done;
        const now = performance.now();
        if (now - shown < 100 && done < all) return; // the table is redrawn at most ten times a second
        shown = now;
        table.textContent = torch.formatReport(report);
        const rate = done / Math.max((now - drawStart) / 1000, 1e-3);
        status.textContent = `${header}; statistics and histograms: ${size(done)} of ${size(all)} (${((done / Math.max(all, 1)) * 100).toFixed(0)}%, ${size(rate)}/s)`;
      },
    });
    result.statsText = table.textContent = torch.formatReport(report);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([result.reportHtml], { type: "text/html" }));
    link.download = `${name}.report.html`;
    link.textContent = "the report as one HTML file, as torchlet report writes it";
    $("ckpt-download").append(link);
    status.textContent = `${header}; statistics of ${size(report.totals.bytes)} in ${((performance.now() - drawStart) / 1000).toFixed(1)} s, read in this page`;
  } catch (e) {
    if (run.signal.aborted) {
      result.stopped = true;
      if (current === run) status.textContent += " stopped.";
    } else {
      result.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      status.textContent = result.error;
      status.className = "error";
    }
  } finally {
    if (current === run) {
      ($("ckpt-stop") as HTMLButtonElement).disabled = true;
      bar.value = bar.max;
    }
    result.done = true;
  }
}

/** Wires the file input, the drop zone and the stop button. */
export function setupInspector(): void {
  const input = $("ckpt-input") as HTMLInputElement, zone = $("ckpt-zone");
  input.addEventListener("change", () => {
    if (input.files && input.files.length > 0) void inspect([...input.files]);
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 0) void inspect(files);
  });
  $("ckpt-stop").addEventListener("click", () => current?.abort());
}
