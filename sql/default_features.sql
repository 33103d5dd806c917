-- features => NULL: every usable column but the label and a table's key columns; the NOTICE
-- lists the features and, in its DETAIL, the key columns left out.
SET client_min_messages = notice;
SET modelmgr.progress_every = 0;
CREATE TABLE df_orders (order_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, line serial,
                        amount float8, items int, note text, late boolean);
INSERT INTO df_orders (amount, items, note, late)
SELECT g * 1.5, g % 4, CASE WHEN g % 3 = 0 THEN 'gift' ELSE 'plain' END, g % 5 = 0 FROM generate_series(1, 40) g;
SELECT features FROM modelmgr.train('df_orders_late', 'df_orders', 'late', NULL, 'logistic_regression', '{"epochs": 2, "seed": 1}');
SELECT modelmgr.drop_model('df_orders_late', force => true);
DROP TABLE df_orders;
