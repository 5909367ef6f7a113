// Preloaded (`node -r`) into the policy host the plan spawns: exits when the plan's end of our stdin closes,
// so the host never outlives the plan, even when the plan is killed with SIGKILL and runs no exit handler.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
