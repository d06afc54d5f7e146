"""Command line: write the demo study folder and its truth file.

    python -m analysis.demo --out data/demo [--truth data/demo.truth.json] [--patients N] [--seed 2019]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.demo.generator import DESIGN_PATIENTS, write_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.demo",
                                     description="Write the synthetic HER2+ gastric cancer ctDNA demo study.")
    parser.add_argument("--out", required=True, type=Path, help="study folder to write (cBioPortal format)")
    parser.add_argument("--truth", type=Path, default=None,
                        help="truth JSON file (default: <out>.truth.json beside the folder)")
    parser.add_argument("--patients", type=int, default=DESIGN_PATIENTS,
                        help=f"number of patients (default {DESIGN_PATIENTS}, the published design)")
    parser.add_argument("--seed", type=int, default=2019, help="random seed (default 2019)")
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error(f"--patients must be at least 1, got {args.patients}")
    try:
        cohort = write_demo(args.out, args.truth, n_patients=args.patients, seed=args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    truth_path = args.truth or args.out.with_name(args.out.name + ".truth.json")
    counts = cohort.truth["counts"]
    print(f"wrote {args.out} ({counts['patients']} patients, {counts['followed']} followed, "
          f"{counts['serial_draws']} serial draws) and {truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
