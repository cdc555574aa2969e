-- a neutralised copy must never talk to Hotmart with production credentials
UPDATE hotmart_backend
   SET client_secret = NULL,
       basic_token = NULL,
       hottok = NULL,
       last_connection_date = NULL,
       state = CASE WHEN active THEN 'not_configured' ELSE state END;
