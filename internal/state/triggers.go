package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Retrain triggers in the state store: the trigger log (every decision of every run,
// which the trigger policy reads for hysteresis, cooldown and dedup) and the outbox
// (one row per fired trigger and destination, delivered after the run is recorded).
//
// A run's decisions and its outbox rows are written in the transaction that finishes
// the run (FinishWithTriggers): a run is recorded with its triggers or not at all. A
// delivery is leased (ClaimDeliveries) before it is sent, so that two processes do not
// send it at once, and marked delivered only after the receiver accepted it. A crash
// between the two sends it again later: delivery is at least once, and the trigger id
// is the receiver's idempotency key.

// triggerMigrations are this file's schema changes (versions 3 and 4).
var triggerMigrations = []migration{
	{
		version: 3,
		name:    "trigger log and outbox",
		sqlite: []string{
			`CREATE TABLE trigger_log (
				job          TEXT NOT NULL,
				rule         TEXT NOT NULL,
				logical_time TEXT NOT NULL,
				met          INTEGER NOT NULL,
				fired        INTEGER NOT NULL,
				reason       TEXT NOT NULL,
				decision     TEXT,
				decided_at   TEXT NOT NULL,
				PRIMARY KEY (job, rule, logical_time)
			)`,
			`CREATE TABLE trigger_outbox (
				trigger_id    TEXT NOT NULL,
				destination   TEXT NOT NULL,
				job           TEXT NOT NULL,
				rule          TEXT NOT NULL,
				logical_time  TEXT NOT NULL,
				payload       TEXT NOT NULL,
				status        TEXT NOT NULL,
				attempts      INTEGER NOT NULL DEFAULT 0,
				next_attempt  TEXT NOT NULL,
				last_error    TEXT NOT NULL DEFAULT '',
				created_at    TEXT NOT NULL,
				delivered_at  TEXT,
				lease_owner   TEXT NOT NULL DEFAULT '',
				lease_expires TEXT,
				PRIMARY KEY (trigger_id, destination)
			)`,
		},
		postgres: []string{
			`CREATE TABLE trigger_log (
				job          TEXT NOT NULL,
				rule         TEXT NOT NULL,
				logical_time TIMESTAMPTZ NOT NULL,
				met          INTEGER NOT NULL,
				fired        INTEGER NOT NULL,
				reason       TEXT NOT NULL,
				decision     TEXT,
				decided_at   TIMESTAMPTZ NOT NULL,
				PRIMARY KEY (job, rule, logical_time)
			)`,
			`CREATE TABLE trigger_outbox (
				trigger_id    TEXT NOT NULL,
				destination   TEXT NOT NULL,
				job           TEXT NOT NULL,
				rule          TEXT NOT NULL,
				logical_time  TIMESTAMPTZ NOT NULL,
				payload       TEXT NOT NULL,
				status        TEXT NOT NULL,
				attempts      INTEGER NOT NULL DEFAULT 0,
				next_attempt  TIMESTAMPTZ NOT NULL,
				last_error    TEXT NOT NULL DEFAULT '',
				created_at    TIMESTAMPTZ NOT NULL,
				delivered_at  TIMESTAMPTZ,
				lease_owner   TEXT NOT NULL DEFAULT '',
				lease_expires TIMESTAMPTZ,
				PRIMARY KEY (trigger_id, destination)
			)`,
		},
	},
	{
		version:  4,
		name:     "due deliveries",
		sqlite:   []string{`CREATE INDEX trigger_outbox_due ON trigger_outbox (status, next_attempt)`},
		postgres: []string{`CREATE INDEX trigger_outbox_due ON trigger_outbox (status, next_attempt)`},
	},
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // not delivered yet: retried on the next run or daemon tick
	DeliveryDelivered = "delivered" // the receiver accepted it
	DeliveryFailed    = "failed"    // the receiver refused it for good (a permanent error)
)

// TriggerDecision is one decision of the trigger policy, as the trigger log keeps it.
type TriggerDecision struct {
	Job         string
	Rule        string
	LogicalTime time.Time
	Met         bool
	// Fired: a trigger was emitted (and queued in the outbox). Once a decision of a
	// (job, rule, logical time) has fired, a re-run does not unfire it.
	Fired     bool
	Reason    string
	Decision  json.RawMessage // the whole decision, as in the report
	DecidedAt time.Time
}

// Delivery is one trigger on its way to one destination.
type Delivery struct {
	TriggerID   string
	Destination string // the sink's name in the job's config
	Job         string
	Rule        string
	LogicalTime time.Time
	Payload     json.RawMessage // the trigger, as sent
	Status      string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	Created     time.Time
	Delivered   time.Time // zero until delivered
	LeaseOwner  string
}

// DeliveryQuery selects outbox rows, newest logical time first.
type DeliveryQuery struct {
	Job      string   // empty: every job
	Statuses []string // empty: every status
	Limit    int      // 0: no limit
}

// TriggerStore is the trigger log and outbox of a store (every Store of this package
// implements it).
type TriggerStore interface {
	// FinishWithTriggers records the end of the caller's run as Finish does and, in
	// the same transaction, its decisions (replacing the log rows of the same job, rule
	// and logical time; a fired row stays fired) and its deliveries (a delivery that
	// exists already, same trigger id and destination, is left as it is: a re-run
	// does not send a trigger again).
	FinishWithTriggers(ctx context.Context, r Run, ds []TriggerDecision, dl []Delivery) error
	// RecordTriggers writes decisions and deliveries without a run (runs that keep no
	// history of their own).
	RecordTriggers(ctx context.Context, ds []TriggerDecision, dl []Delivery) error
	// TriggerLog returns job's decisions before logical time before, newest first: the
	// last perRule decisions of each rule, and the last fired one of each rule.
	TriggerLog(ctx context.Context, job string, before time.Time, perRule int) ([]TriggerDecision, error)
	// ClaimDeliveries leases up to limit pending deliveries of job (every job when
	// empty) that are due at now and not leased by another owner, until now + ttl.
	ClaimDeliveries(ctx context.Context, job, owner string, now time.Time, ttl time.Duration, limit int) ([]Delivery, error)
	// MarkDelivered records that the receiver accepted a claimed delivery.
	MarkDelivered(ctx context.Context, d Delivery, owner string, at time.Time) error
	// MarkAttempt records a failed attempt of a claimed delivery: permanent marks it
	// failed, else it stays pending until next.
	MarkAttempt(ctx context.Context, d Delivery, owner, errMsg string, permanent bool, next time.Time) error
	// Deliveries lists outbox rows.
	Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error)
}

var _ TriggerStore = (*sqlStore)(nil)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *sqlStore) FinishWithTriggers(ctx context.Context, r Run, ds []TriggerDecision, dl []Delivery) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish run of %s at %s: %w", r.Job, fmtTime(r.LogicalTime), err)
	}
	defer tx.Rollback()
	if err := s.finish(ctx, tx, r); err != nil {
		return err
	}
	if err := s.recordTriggers(ctx, tx, ds, dl); err != nil {
		return fmt.Errorf("finish run of %s at %s: %w", r.Job, fmtTime(r.LogicalTime), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish run of %s at %s: %w", r.Job, fmtTime(r.LogicalTime), err)
	}
	return nil
}

func (s *sqlStore) RecordTriggers(ctx context.Context, ds []TriggerDecision, dl []Delivery) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record triggers: %w", err)
	}
	defer tx.Rollback()
	if err := s.recordTriggers(ctx, tx, ds, dl); err != nil {
		return fmt.Errorf("record triggers: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record triggers: %w", err)
	}
	return nil
}

func (s *sqlStore) recordTriggers(ctx context.Context, tx *sql.Tx, ds []TriggerDecision, dl []Delivery) error {
	for _, d := range ds {
		var dec any
		if len(d.Decision) > 0 {
			dec = string(d.Decision)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO trigger_log (job, rule, logical_time, met, fired, reason, decision, decided_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (job, rule, logical_time) DO UPDATE SET met = excluded.met,
				fired = CASE WHEN trigger_log.fired = 1 THEN 1 ELSE excluded.fired END,
				reason = CASE WHEN trigger_log.fired = 1 AND excluded.fired = 0 THEN trigger_log.reason ELSE excluded.reason END,
				decision = CASE WHEN trigger_log.fired = 1 AND excluded.fired = 0 THEN trigger_log.decision ELSE excluded.decision END,
				decided_at = excluded.decided_at`),
			d.Job, d.Rule, s.t(d.LogicalTime), b2i(d.Met), b2i(d.Fired), d.Reason, dec, s.t(d.DecidedAt))
		if err != nil {
			return fmt.Errorf("log decision %s/%s: %w", d.Job, d.Rule, err)
		}
	}
	for _, d := range dl {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO trigger_outbox (trigger_id, destination, job, rule, logical_time, payload,
			status, attempts, next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
			ON CONFLICT (trigger_id, destination) DO NOTHING`),
			d.TriggerID, d.Destination, d.Job, d.Rule, s.t(d.LogicalTime), string(d.Payload), s.t(d.NextAttempt), s.t(d.Created))
		if err != nil {
			return fmt.Errorf("queue trigger %s for %s: %w", d.TriggerID, d.Destination, err)
		}
	}
	return nil
}

const logColumns = `job, rule, logical_time, met, fired, reason, decision, decided_at`

func scanDecision(sc interface{ Scan(...any) error }) (TriggerDecision, error) {
	var d TriggerDecision
	var at, decided dbTime
	var met, fired int
	var dec sql.NullString
	if err := sc.Scan(&d.Job, &d.Rule, &at, &met, &fired, &d.Reason, &dec, &decided); err != nil {
		return d, err
	}
	d.LogicalTime, d.DecidedAt, d.Met, d.Fired = at.t, decided.t, met == 1, fired == 1
	if dec.Valid {
		d.Decision = json.RawMessage(dec.String)
	}
	return d, nil
}

func (s *sqlStore) TriggerLog(ctx context.Context, job string, before time.Time, perRule int) ([]TriggerDecision, error) {
	if perRule < 1 {
		perRule = 1
	}
	seen := map[string]bool{}
	var out []TriggerDecision
	add := func(query string, args ...any) error {
		rows, err := s.db.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDecision(rows)
			if err != nil {
				return err
			}
			k := d.Rule + "\x00" + fmtTime(d.LogicalTime)
			if !seen[k] {
				seen[k] = true
				out = append(out, d)
			}
		}
		return rows.Err()
	}
	// The last perRule rows of each rule: a window over the rule, newest first.
	err := add(`SELECT `+logColumns+` FROM (SELECT `+logColumns+`,
			ROW_NUMBER() OVER (PARTITION BY rule ORDER BY logical_time DESC) AS n
			FROM trigger_log WHERE job = ? AND logical_time < ?) recent WHERE n <= `+strconv.Itoa(perRule), job, s.t(before))
	if err == nil {
		// The last fired row of each rule (cooldown and dedup reach back to it).
		err = add(`SELECT `+logColumns+` FROM trigger_log l WHERE job = ? AND fired = 1 AND logical_time < ?
			AND logical_time = (SELECT MAX(logical_time) FROM trigger_log m
				WHERE m.job = l.job AND m.rule = l.rule AND m.fired = 1 AND m.logical_time < ?)`, job, s.t(before), s.t(before))
	}
	if err != nil {
		return nil, fmt.Errorf("read trigger log of %s: %w", job, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LogicalTime.After(out[j].LogicalTime) })
	return out, nil
}

const deliveryColumns = `trigger_id, destination, job, rule, logical_time, payload, status, attempts, next_attempt,
	last_error, created_at, delivered_at, lease_owner`

func scanDelivery(sc interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var at, next, created, delivered dbTime
	var payload string
	err := sc.Scan(&d.TriggerID, &d.Destination, &d.Job, &d.Rule, &at, &payload, &d.Status, &d.Attempts, &next,
		&d.LastError, &created, &delivered, &d.LeaseOwner)
	if err != nil {
		return d, err
	}
	d.LogicalTime, d.NextAttempt, d.Created, d.Delivered = at.t, next.t, created.t, delivered.t
	d.Payload = json.RawMessage(payload)
	return d, nil
}

func (s *sqlStore) ClaimDeliveries(ctx context.Context, job, owner string, now time.Time, ttl time.Duration, limit int) ([]Delivery, error) {
	if owner == "" || ttl <= 0 || now.IsZero() {
		return nil, errors.New("claim deliveries: owner, ttl and now are required")
	}
	query := `SELECT ` + deliveryColumns + ` FROM trigger_outbox WHERE status = 'pending' AND next_attempt <= ?
		AND (lease_expires IS NULL OR lease_expires <= ? OR lease_owner = ?)`
	args := []any{s.t(now), s.t(now), owner}
	if job != "" {
		query += ` AND job = ?`
		args = append(args, job)
	}
	query += ` ORDER BY logical_time, trigger_id, destination`
	if limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var cands []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		cands = append(cands, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var out []Delivery
	for _, d := range cands {
		res, err := s.db.ExecContext(ctx, s.q(`UPDATE trigger_outbox SET lease_owner = ?, lease_expires = ?
			WHERE trigger_id = ? AND destination = ? AND status = 'pending'
			AND (lease_expires IS NULL OR lease_expires <= ? OR lease_owner = ?)`),
			owner, s.t(now.Add(ttl)), d.TriggerID, d.Destination, s.t(now), owner)
		if err != nil {
			return out, fmt.Errorf("claim delivery %s to %s: %w", d.TriggerID, d.Destination, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			d.LeaseOwner = owner
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *sqlStore) MarkDelivered(ctx context.Context, d Delivery, owner string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE trigger_outbox SET status = 'delivered', delivered_at = ?,
		attempts = attempts + 1, last_error = '', lease_owner = '', lease_expires = NULL
		WHERE trigger_id = ? AND destination = ? AND lease_owner = ? AND status = 'pending'`),
		s.t(at), d.TriggerID, d.Destination, owner)
	return affectedDelivery(res, err, "mark delivered", d)
}

func (s *sqlStore) MarkAttempt(ctx context.Context, d Delivery, owner, errMsg string, permanent bool, next time.Time) error {
	status := DeliveryPending
	if permanent {
		status = DeliveryFailed
	}
	if len(errMsg) > 2000 {
		errMsg = errMsg[:2000]
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE trigger_outbox SET status = ?, attempts = attempts + 1, last_error = ?,
		next_attempt = ?, lease_owner = '', lease_expires = NULL
		WHERE trigger_id = ? AND destination = ? AND lease_owner = ? AND status = 'pending'`),
		status, errMsg, s.t(next), d.TriggerID, d.Destination, owner)
	return affectedDelivery(res, err, "record attempt", d)
}

func affectedDelivery(res sql.Result, err error, op string, d Delivery) error {
	if err != nil {
		return fmt.Errorf("%s of %s to %s: %w", op, d.TriggerID, d.Destination, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%s of %s to %s: %w", op, d.TriggerID, d.Destination, ErrLeaseLost)
	}
	return nil
}

func (s *sqlStore) Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error) {
	query := `SELECT ` + deliveryColumns + ` FROM trigger_outbox WHERE 1 = 1`
	var args []any
	if q.Job != "" {
		query += ` AND job = ?`
		args = append(args, q.Job)
	}
	if len(q.Statuses) > 0 {
		query += ` AND status IN (`
		for i, st := range q.Statuses {
			if i > 0 {
				query += `, `
			}
			query += `?`
			args = append(args, st)
		}
		query += `)`
	}
	query += ` ORDER BY logical_time DESC, trigger_id, destination`
	if q.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	return out, nil
}
