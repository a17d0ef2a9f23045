/** Diagnostics: model summary, parameter statistics, recorders, the HTML report and graph drawing. Re-exports only. */
export { summary, formatSummary } from "./summary.ts";
export type { ModelSummary, SummaryRow, SummaryOptions, SummaryInput } from "./summary.ts";
export { parameterStats, formatTable, valueStats, valuesOf } from "./stats.ts";
export type { ParameterRow, ValueStats } from "./stats.ts";
export { Recorder } from "./recorder.ts";
export type { RecorderOptions, LayerHistory } from "./recorder.ts";
export { reportHtml, recorderPictures } from "./report.ts";
export type { ReportOptions } from "./report.ts";
export { histogramSvg, heatmapSvg, lineChartSvg, histogram } from "./svg.ts";
export type { Series } from "./svg.ts";
export { toDot, toGraphSvg, autogradGraph } from "./graph.ts";
export type { Graph, GraphNode, GraphOptions, ParamNames } from "./graph.ts";
export { progressLine } from "./progress.ts";
export type { ProgressOptions } from "./progress.ts";
export { checkpointReportHtml, checkpointReportHtmlAsync, tensorSectionHtml } from "./checkpoint-report.ts";
export type { DrawnTensor } from "./checkpoint-report.ts";
