"""driftwatch on Airflow, scaled out: a window too big for one machine, profiled in shards.

Every day at 01:00 UTC Airflow maps one task per shard (dynamic task mapping, Airflow
2.3+); task k runs

    driftwatch profile --input s3://ml-logs/churn/live --timestamp ts \
        --window-start {{ data_interval_start }} --window-end {{ data_interval_end }} \
        --shard k/8 --mode sketch --reference-profile s3://ml-profiles/churn/reference.dwprof \
        --out s3://ml-profiles/churn/{{ ds_nodash }}/shard-k.dwprof

on its own worker: it reads only its eighth of the window's row groups (the split
depends only on the files, so every worker computes the same one) and writes a profile
of a few MB. Then one task merges the eight profiles (the merge equals the profile of
the whole window) and one compares the merged window with the reference profile, which
was built once at training time:

    driftwatch profile --input s3://ml-data/churn/train --mode sketch \
        --out s3://ml-profiles/churn/reference.dwprof

The merged daily profiles stay in s3://ml-profiles/churn/YYYYMMDD/window.dwprof; a job
with `rollup:` (docs/profiles.md) answers a weekly window from them without reading
data. Credentials come from the workers' environment (AWS_* variables, an instance role
or ~/.aws). The compare task's stdout is the JSON report; --fail-on-drift would fail the
task (exit 3) on dataset drift.
"""

from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

SHARDS = 8
DATA = "s3://ml-logs/churn/live"  # hive partitions dt=YYYY-MM-DD/: only the window's are read
PROFILES = "s3://ml-profiles/churn"
REFERENCE = PROFILES + "/reference.dwprof"  # built once at training time
DAY = PROFILES + "/{{ ds_nodash }}"
WINDOW = "--timestamp ts --window-start {{ data_interval_start }} --window-end {{ data_interval_end }}"

PROFILE_SHARD = (
    "driftwatch profile --input " + DATA + " " + WINDOW
    + " --shard {{ ti.map_index }}/" + str(SHARDS)
    + " --mode sketch --reference-profile " + REFERENCE
    + " --out " + DAY + "/shard-{{ ti.map_index }}.dwprof"
)
MERGE = "driftwatch merge " + DAY + "/shard-*.dwprof --out " + DAY + "/window.dwprof"
COMPARE = "driftwatch compare --reference " + REFERENCE + " --current " + DAY + "/window.dwprof --format json"

with DAG(
    dag_id="driftwatch_churn_sharded",
    schedule="0 1 * * *",
    start_date=datetime(2026, 11, 1),
    catchup=False,
    max_active_runs=1,
) as dag:
    # one mapped task instance per shard: ti.map_index is 0 .. SHARDS-1
    profile = BashOperator.partial(
        task_id="profile_shard",
        bash_command=PROFILE_SHARD,
        do_xcom_push=False,
        retries=2,
    ).expand(env=[{"DRIFTWATCH_LOG_LEVEL": "info"} for _ in range(SHARDS)])

    merge = BashOperator(task_id="merge", bash_command=MERGE, do_xcom_push=False)

    compare = BashOperator(task_id="compare", bash_command=COMPARE, do_xcom_push=False)

    profile >> merge >> compare
