-- Console searches at a million members: an address is found by its start, a name by
-- whichever of two paths reads less, and a list's subscriptions are looked up only for the
-- rows of the page.

-- What a member search reads: the email and the name, lowercased once when the row is
-- written, so matching a row is one byte-wise LIKE instead of two case-folding ILIKEs.
ALTER TABLE users ADD COLUMN search text NOT NULL
    GENERATED ALWAYS AS (email || ' ' || lower(name)) STORED;

-- A term shared by a handful of members is found through trigrams...
DROP INDEX users_email_trgm_idx;
DROP INDEX users_name_trgm_idx;
CREATE INDEX users_search_trgm_idx ON users USING gin (search gin_trgm_ops);

-- ...and one shared by thousands by walking members newest first until a page is full,
-- reading `search` from the index alone.
DROP INDEX users_role_created_idx;
CREATE INDEX users_role_created_idx ON users (role, created_at DESC, id DESC) INCLUDE (search);

-- Which of the two reads less depends on how many members a term matches, which the
-- planner estimates from the column's histogram: a thousand entries tell a name shared by
-- 2% of members from one shared by a handful.
ALTER TABLE users ALTER COLUMN search SET STATISTICS 1000;

-- A term that looks like an email address matches addresses starting with it: a range of
-- these byte-ordered indexes instead of intersecting a trigram posting list per character.
CREATE INDEX users_email_prefix_idx ON users (email text_pattern_ops);
CREATE INDEX customers_email_prefix_idx ON customers (lower(email) text_pattern_ops);

-- What a list shows of a member in a mode: their newest customer and its most telling
-- subscription (past due or unpaid before paying, before a trial, before ended). Always
-- one row, empty for a member who never had a customer. Inlined by the planner.
CREATE FUNCTION member_summary(summary_mode text, member uuid)
RETURNS TABLE (customer_id text, tax_location text, status text,
               cancel_at_period_end boolean, product_id uuid)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.tax_location, s.status, s.cancel_at_period_end, s.product_id
      FROM (SELECT) one
      LEFT JOIN LATERAL (
          SELECT c.id, c.tax_location FROM customers c
           WHERE c.user_id = member AND c.mode = summary_mode
           ORDER BY c.updated_at DESC LIMIT 1
      ) c ON true
      LEFT JOIN LATERAL (
          SELECT s.status, s.cancel_at_period_end, s.product_id FROM subscriptions s
           WHERE s.mode = summary_mode AND s.customer_id = c.id
           ORDER BY CASE s.status WHEN 'past_due' THEN 0 WHEN 'unpaid' THEN 1
                                  WHEN 'active' THEN 2 WHEN 'trialing' THEN 3 ELSE 4 END,
                    s.created DESC
           LIMIT 1
      ) s ON true
$$;

-- The customers a console search names (replaces 0010's): with `prefix`, members and
-- customers whose email starts with the term (`pattern` is then `term%`); otherwise part of
-- the member's email or name, or of the customer's email; or the exact customer id.
DROP FUNCTION customers_matching(text, text, text);

CREATE FUNCTION customers_matching(search_mode text, term text, pattern text, prefix boolean)
RETURNS SETOF text LANGUAGE sql STABLE ROWS 20 AS $$
    SELECT c.id FROM customers c JOIN users u ON u.id = c.user_id
     WHERE c.mode = search_mode AND NOT prefix AND u.search LIKE lower(pattern)
    UNION
    SELECT c.id FROM customers c JOIN users u ON u.id = c.user_id
     WHERE c.mode = search_mode AND prefix
       AND u.email ~>=~ lower(term) AND u.email ~<~ (lower(term) || U&'\+10FFFF')
       AND u.email LIKE pattern
    UNION
    SELECT c.id FROM customers c
     WHERE c.mode = search_mode AND NOT prefix AND c.email ILIKE pattern
    UNION
    SELECT c.id FROM customers c
     WHERE c.mode = search_mode AND prefix
       AND lower(c.email) ~>=~ lower(term) AND lower(c.email) ~<~ (lower(term) || U&'\+10FFFF')
       AND lower(c.email) LIKE pattern
    UNION
    SELECT c.id FROM customers c WHERE c.mode = search_mode AND c.id = term
$$;
