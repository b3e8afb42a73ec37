/*
grain: one row per person per plan metric (rep_id, metric): the target each rep is measured against.
  Resolution order: the rep's own row in the targets extract, else config `targets` for the rep's role,
  else the config default (int_rep_targets).
unique: [rep_id, metric]
columns_from: int_rep_targets
*/
select *
from int_rep_targets
