-- Which of these order ids ($1) belong to the appliance ($2).
SELECT id FROM orders WHERE id = ANY ($1::uuid[]) AND appliance_id = $2
