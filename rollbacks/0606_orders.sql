-- Undoes 0606_orders.
DROP TABLE order_events;

DROP TABLE fulfillment_tasks;

DROP TABLE order_items;

DROP TABLE orders;
