/**
 * The main demo (`npm start`): the D2L 6.2 parameter-management walkthrough, then training an MLP
 * on a built-in synthetic regression data set with SGD, with a progress bar, the parameter table
 * and an HTML report of the trained model (examples/train-report.ts).
 */
console.log("== Dive into Deep Learning 6.2: parameter management ==");
await import("./parameter-management.ts");

console.log("\n== Training an MLP on y = sin(3x₀) + x₁x₂ - x₃² + noise ==");
await import("./train-report.ts");
