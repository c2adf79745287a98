// The grammar of .dsk files (language.md). The C# parser generated from it is committed under
// compiler/DeepSeek.Lang.Compiler/Syntax/Generated; run grammar/generate.sh after editing this file.
//
// Newlines end statements. Syntax/TokenScanner.cs prepares the tokens the parser reads: it drops the
// NEWLINE tokens that stand inside parentheses or brackets, so the grammar below never sees them
// there, and it puts a zero-width NEWLINE before every '}' and before the end of the file when no
// separator stands there. So every declaration, member, statement and plan entry below is followed
// by a separator, and each list is a loop whose next step one token decides: a syntax error inside
// one element never costs the elements after it (ANTLR resynchronises inside such loops).
//
// Every part that Syntax/AstBuilder.cs reads has a label: it reads the labelled fields, never the
// parse tree's children, so the parser runs with BuildParseTree off (a parse tree costs more than
// the parse). Label names avoid C# keywords.
grammar Dsk;

// ---------------------------------------------------------------- items

file: (items += item sep | sep)* EOF;

sep: NEWLINE | SEMI;

item
    : imp = importDecl
    | cnst = constDecl
    | mod = moduleDecl
    | mdl = modelDecl
    | pln = planDecl
    ;

importDecl: IMPORT path = STRING;

constDecl: CONST name = IDENT (COLON type = typeRef)? ASSIGN value = expr;

moduleDecl: MODULE name = IDENT LPAREN ps = paramList? RPAREN open = LBRACE body = memberList close = RBRACE;

paramList: ps += param (COMMA ps += param)* COMMA?;

param: name = IDENT COLON type = typeRef (ASSIGN dflt = expr)?;

modelDecl: MODEL name = IDENT ASSIGN value = expr;

planDecl: PLAN name = IDENT FOR model = IDENT open = LBRACE body = planEntries close = RBRACE;

planEntries: (entries += planEntry planSep | planSep)*;

planSep: NEWLINE | SEMI | COMMA;

// `key: value` or `key { entries }`; one rule, so that after the key one token decides (and an error
// there says "expected ':' or '{'").
planEntry: key = IDENT (COLON value = expr | open = LBRACE body = planEntries close = RBRACE);

// ---------------------------------------------------------------- module members

memberList: (members += member sep | sep)*;

member
    : sub = submoduleDecl
    | tensor = tensorDecl
    | cnst = constDecl
    | fwd = forwardDecl
    | cond = memberIf
    ;

submoduleDecl: name = IDENT ASSIGN module = IDENT LPAREN args = argList? RPAREN (LBRACK count = expr RBRACK)?;

tensorDecl: kind = (PARAM | BUFFER) name = IDENT COLON type = typeRef (ASSIGN init = expr)?;

forwardDecl: FORWARD LPAREN ps = paramList? RPAREN (ARROW result = typeRef)? body = block;

memberIf
    : IF cond = expr open = LBRACE then = memberList close = RBRACE
      (NEWLINE* ELSE (elseIf = memberIf | elseOpen = LBRACE otherwise = memberList elseClose = RBRACE))?
    ;

// ---------------------------------------------------------------- types

typeRef
    : name = IDENT (lbrack = LBRACK dims = dimList? RBRACK)?                       # namedType
    | LPAREN elements += typeRef (COMMA elements += typeRef)* COMMA? RPAREN        # tupleType
    ;

dimList: dims += dim (COMMA dims += dim)* COMMA?;

dim
    : STAR name = IDENT   # packDim
    | value = expr        # exprDim
    ;

// ---------------------------------------------------------------- statements

block: open = LBRACE body = stmtList close = RBRACE;

stmtList: (stmts += stmt sep | sep)*;

stmt
    : LET tgt = target ASSIGN value = expr                                # letStmt
    | tgt = target ASSIGN value = expr                                    # assignStmt
    | FOR variable = IDENT IN source = expr (RANGE end = expr)? body = block  # forStmt
    | node = ifStmt                                                       # ifStatement
    | ASSERT cond = expr (COMMA message = expr)?                          # assertStmt
    | RETURN value = expr                                                 # returnStmt
    | value = expr                                                        # exprStmt
    ;

ifStmt: IF cond = expr then = block (NEWLINE* ELSE (elseIf = ifStmt | otherwise = block))?;

target
    : name = IDENT                                                      # nameTarget
    | LPAREN names += IDENT (COMMA names += IDENT)* COMMA? RPAREN       # tupleTarget
    ;

// ---------------------------------------------------------------- expressions
// A parenthesised list is a tuple when it is empty or has a comma: (), (a,), (a, b); else it is (a).
// From tightest to loosest: postfix (call, index, member), **, unary + -, * / % @, + -,
// comparisons, not, and, or. ** is right-associative and binds tighter than a unary minus on
// its left (-x ** 2 is -(x ** 2)), as in Python. Primaries are alternatives of expr itself rather
// than a rule of their own: one parse context less for every name and number.

expr
    : callee = expr LPAREN args = argList? RPAREN                                 # callExpr
    | obj = expr LBRACK index = indexList RBRACK                                  # indexExpr
    | obj = expr DOT name = IDENT                                                 # memberExpr
    | <assoc = right> left = expr POW right = expr                                # powerExpr
    | op = (MINUS | PLUS) operand = expr                                          # unaryExpr
    | left = expr op = (STAR | SLASH | PERCENT | AT) right = expr                 # mulExpr
    | left = expr op = (PLUS | MINUS) right = expr                                # addExpr
    | left = expr op = (EQ | NE | LT | LE | GT | GE) right = expr                  # compareExpr
    | NOT operand = expr                                                          # notExpr
    | left = expr AND right = expr                                                # andExpr
    | left = expr OR right = expr                                                 # orExpr
    | name = IDENT                                                                # nameExpr
    | tok = INT                                                                   # intExpr
    | tok = FLOAT                                                                 # floatExpr
    | tok = STRING                                                                # stringExpr
    | tok = (TRUE | FALSE)                                                        # boolExpr
    | NONE                                                                        # noneExpr
    | LPAREN (items += expr (COMMA items += expr)* trailing = COMMA?)? RPAREN     # parenExpr
    | LBRACK (items += expr (COMMA items += expr)* COMMA?)? RBRACK                # listExpr
    ;

argList: args += arg (COMMA args += arg)* COMMA?;

arg: (name = IDENT COLON)? value = expr;

indexList: items += indexItem (COMMA items += indexItem)* COMMA?;

indexItem
    : ELLIPSIS                                                  # ellipsisIndex
    | start = expr? COLON stop = expr? (COLON step = expr?)?    # sliceIndex
    | value = expr                                              # exprIndex
    ;

// ---------------------------------------------------------------- tokens

IMPORT: 'import';
CONST: 'const';
MODULE: 'module';
MODEL: 'model';
PLAN: 'plan';
PARAM: 'param';
BUFFER: 'buffer';
FORWARD: 'forward';
LET: 'let';
FOR: 'for';
IN: 'in';
IF: 'if';
ELSE: 'else';
ASSERT: 'assert';
RETURN: 'return';
AND: 'and';
OR: 'or';
NOT: 'not';
TRUE: 'true';
FALSE: 'false';
NONE: 'None';

ARROW: '->';
POW: '**';
EQ: '==';
NE: '!=';
LE: '<=';
GE: '>=';
LT: '<';
GT: '>';
ASSIGN: '=';
PLUS: '+';
MINUS: '-';
STAR: '*';
SLASH: '/';
PERCENT: '%';
AT: '@';
LPAREN: '(';
RPAREN: ')';
LBRACK: '[';
RBRACK: ']';
LBRACE: '{';
RBRACE: '}';
COMMA: ',';
COLON: ':';
SEMI: ';';
ELLIPSIS: '...';
RANGE: '..';
DOT: '.';

FLOAT: DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT;
INT: DIGITS;
IDENT: [A-Za-z_] [A-Za-z0-9_]*;
STRING: '"' (~["\\\r\n] | '\\' ~[\r\n])* '"';
UNTERMINATED_STRING: '"' (~["\\\r\n] | '\\' ~[\r\n])*;

NEWLINE: '\r'? '\n' | '\r';
LINE_COMMENT: '//' ~[\r\n]* -> channel(HIDDEN);
BLOCK_COMMENT: '/*' .*? '*/' -> channel(HIDDEN);
// Only a comment with no '*/' in it: the lexer takes the longest match, so '/*' .*? EOF would
// swallow every closed comment and the rest of the file after it.
UNTERMINATED_COMMENT: '/*' (~'*' | '*'+ ~[*/])* '*'* EOF -> channel(HIDDEN);
WS: [ \t\f\u00A0\uFEFF]+ -> skip;
BAD_CHARACTER: .;

fragment DIGITS: [0-9] ('_'? [0-9])*;
fragment EXPONENT: [eE] [+-]? [0-9]+;
