#!/bin/bash
# Submit a two-step pipeline: the second job starts only when the first
# has finished successfully.
set -e
FIRST=$(qsub preprocess.pbs)
echo "submitted $FIRST"
SECOND=$(qsub -W depend=afterok:$FIRST postprocess.pbs)
echo "submitted $SECOND"
